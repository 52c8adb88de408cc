// The OCI runtime-spec types (Spec, Process, LinuxResources, ...) are part of the
// library's API: `import Berth` is all an embedding program needs.
@_exported import BerthSpec
