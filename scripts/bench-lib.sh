# Sourced by scripts/bench.sh and scripts/gap.sh: the checks and set-up both make.
# Each function takes the calling script's name for its messages.

# Root, and $BERTH an absolute path to an executable.
check_root_and_berth() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "$1: must run as root" >&2
        exit 1
    fi
    case $BERTH in
        /*) ;;
        *) BERTH=$(cd "$(dirname "$BERTH")" && pwd)/$(basename "$BERTH") ;;
    esac
    if [ ! -x "$BERTH" ]; then
        echo "$1: BERTH=$BERTH is not an executable" >&2
        exit 1
    fi
}

# The floor's directory: ../shared beside the checkout (a git worktree one level further
# down: ../../shared). $1: the scripts directory.
default_floor_dir() {
    d=$1/../../shared/tools/floor
    [ -d "$d" ] || d=$1/../../../shared/tools/floor
    echo "$d"
}

# apt-get install of the packages named (none: nothing to do).
install_packages() {
    name=$1
    shift
    [ $# -gt 0 ] || return 0
    echo "$name: installing $*" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1 || {
        apt-get update >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null
    }
}
