// The kernel's rtnetlink ABI (message types, attribute numbers, flags, struct layouts),
// imported from the uapi headers so the Swift message building in BerthSystem uses the
// kernel's own names instead of numbers. Declarations only; no code.
#ifndef CBERTH_NETLINK_H
#define CBERTH_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>

#endif
