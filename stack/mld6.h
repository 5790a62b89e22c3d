/*
 * mld6.h - MLDv2 reports (RFC 3810) for the groups the stack joins: the
 * solicited-node group of each address (RFC 4861 §7.2.1), so that a
 * switch that snoops MLD forwards neighbour solicitations to us.
 */
#ifndef TS_MLD6_H
#define TS_MLD6_H

#include <stddef.h>
#include <stdint.h>

struct stack;

#define MLD6_REC_CHANGE_TO_EXCLUDE 4	    /* "join" as a filter-mode change (§5.2.12, §6.1) */
#define MLD6_UNSOLICITED_REPORTS   2	    /* the Robustness Variable (§9.1, §9.14) */
#define MLD6_REPORT_INTERVAL_US	   1000000u /* Unsolicited Report Interval (§9.11) */

/* ff02::16, all MLDv2-capable routers: where version 2 reports go (§5.2.14). */
extern const uint8_t mld6_all_v2_routers[16];

struct mld6_state;
int mld6_init(struct stack *st);
void mld6_destroy(struct stack *st);
/*
 * Announces our groups: one report now and MLD6_UNSOLICITED_REPORTS - 1
 * more, MLD6_REPORT_INTERVAL_US apart (§6.1).  Called by stack_init when
 * cfg.mld_reports is set.
 */
void mld6_start(struct stack *st);
/* Builds the report at p (room for cap octets): the ICMPv6 message only. */
size_t mld6_build_report(const struct stack *st, uint8_t *p, size_t cap);

#endif
