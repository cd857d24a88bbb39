/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the classic back end makes of every builtin of builtins.def (CL_<id>,
 * included once by cl_gen.c): { kind, decoding needed[, field offset or
 * comparison, size] }, or CL_NO_FORM (a filter classic BPF cannot express),
 * or CL_ACTION (more than a filter). A builtin without a line here does not
 * compile.
 */
#define CL_UNIT { K_UNIT, 0 }
#define CL_DROP { K_DROP, 0 }
#define CL_BROADCAST CL_ACTION
#define CL_KLEISLI { K_KLEISLI, 0 }
#define CL_WHEN { K_WHEN, 0 }
#define CL_UNLESS { K_UNLESS, 0 }
#define CL_CONDITIONAL { K_COND, 0 }
#define CL_INV { K_INV, 0 }
#define CL_PAR { K_PAR, 0 }
#define CL_PAR3 { K_PAR, 0 }
#define CL_PAR4 { K_PAR, 0 }
#define CL_PAR5 { K_PAR, 0 }
#define CL_PAR6 { K_PAR, 0 }
#define CL_PAR7 { K_PAR, 0 }
#define CL_PAR8 { K_PAR, 0 }
#define CL_FILTER { K_FILTER, 0 }
#define CL_CLASSIFY CL_ACTION
#define CL_CLASS CL_ACTION
#define CL_KERNEL CL_ACTION
#define CL_DETOUR CL_ACTION
#define CL_KERNEL_IF CL_ACTION
#define CL_DETOUR_IF CL_ACTION
#define CL_FORWARD CL_ACTION
#define CL_BRIDGE CL_ACTION
#define CL_TEE CL_ACTION
#define CL_TAP CL_ACTION
#define CL_LINK CL_ACTION
#define CL_MARK CL_ACTION
#define CL_PUT_STATE CL_ACTION
#define CL_INC CL_ACTION
#define CL_DEC CL_ACTION
#define CL_LOG_MSG CL_ACTION
#define CL_LOG_BUFF CL_ACTION
#define CL_LOG_PACKET CL_ACTION
#define CL_TRACE CL_ACTION
#define CL_IP { P_IP, N_IP }
#define CL_IP6 { P_IP6, N_IP | N_V6 }
#define CL_UDP { P_UDP, N_L4 | N_V6 }
#define CL_TCP { P_TCP, N_L4 | N_V6 }
#define CL_ICMP { P_ICMP, N_L4 | N_V6 }
#define CL_FLOW { P_FLOW, N_L4 | N_V6 }
#define CL_VLAN { P_HAS_VLAN, N_VID }
#define CL_RTP CL_NO_FORM
#define CL_RTCP CL_NO_FORM
#define CL_SIP CL_NO_FORM
#define CL_VOIP CL_NO_FORM
#define CL_GTP CL_NO_FORM
#define CL_GTP_CP CL_NO_FORM
#define CL_GTP_UP CL_NO_FORM
#define CL_NO_FRAG { K_NO_FRAG, N_L4 | N_V6 }
#define CL_NO_MORE_FRAG { K_NO_MORE_FRAG, N_L4 | N_V6 }
#define CL_L3_PROTO { P_L3, N_TYPE }
#define CL_L4_PROTO { P_L4, N_L4 | N_V6 }
#define CL_PORT { P_PORT, N_PORTS | N_V6 }
#define CL_SRC_PORT { P_SPORT, N_PORTS | N_V6 }
#define CL_DST_PORT { P_DPORT, N_PORTS | N_V6 }
#define CL_ADDR { P_ADDR, N_ADDR }
#define CL_SRC_ADDR { P_SADDR, N_ADDR }
#define CL_DST_ADDR { P_DADDR, N_ADDR }
#define CL_VLAN_ID_FILTER { P_VLAN_ID, N_VID }
#define CL_BLOOM_FILTER CL_NO_FORM
#define CL_BLOOM_SRC_FILTER CL_NO_FORM
#define CL_BLOOM_DST_FILTER CL_NO_FORM
#define CL_MAC_BROADCAST { P_BCAST, 0 }
#define CL_MAC_MULTICAST { P_MCAST, 0 }
#define CL_IP_BROADCAST { P_IP_BCAST, N_ADDR }
#define CL_IP_MULTICAST { P_IP_MCAST, N_ADDR | N_V6MC | N_V6 }
#define CL_IP_HOST CL_NO_FORM
#define CL_INCOMING_HOST CL_NO_FORM
#define CL_IS_IP { P_IP, N_IP }
#define CL_IS_IP6 { P_IP6, N_IP | N_V6 }
#define CL_IS_UDP { P_UDP, N_L4 | N_V6 }
#define CL_IS_TCP { P_TCP, N_L4 | N_V6 }
#define CL_IS_ICMP { P_ICMP, N_L4 | N_V6 }
#define CL_IS_FLOW { P_FLOW, N_L4 | N_V6 }
#define CL_HAS_VLAN { P_HAS_VLAN, N_VID }
#define CL_HAS_VID { P_HAS_VID, N_VID }
#define CL_VLAN_ID { P_VLAN_ID, N_VID }
#define CL_IS_FRAG { P_FRAG, N_L4 | N_V6 }
#define CL_IS_FIRST_FRAG { P_FIRST_FRAG, N_L4 | N_V6 }
#define CL_IS_MORE_FRAG { P_MORE_FRAG, N_L4 | N_V6 }
#define CL_IS_L3_PROTO { P_L3, N_TYPE }
#define CL_IS_L4_PROTO { P_L4, N_L4 | N_V6 }
#define CL_HAS_PORT { P_PORT, N_PORTS | N_V6 }
#define CL_HAS_SRC_PORT { P_SPORT, N_PORTS | N_V6 }
#define CL_HAS_DST_PORT { P_DPORT, N_PORTS | N_V6 }
#define CL_HAS_ADDR { P_ADDR, N_ADDR }
#define CL_HAS_SRC_ADDR { P_SADDR, N_ADDR }
#define CL_HAS_DST_ADDR { P_DADDR, N_ADDR }
#define CL_HAS_MARK { P_MARK, 0 }
#define CL_HAS_STATE { P_STATE, 0 }
#define CL_IS_RTP CL_NO_FORM
#define CL_IS_RTCP CL_NO_FORM
#define CL_IS_SIP CL_NO_FORM
#define CL_IS_VOIP CL_NO_FORM
#define CL_IS_GTP CL_NO_FORM
#define CL_IS_GTP_CP CL_NO_FORM
#define CL_IS_GTP_UP CL_NO_FORM
#define CL_IS_BROADCAST { P_BCAST, 0 }
#define CL_IS_MULTICAST { P_MCAST, 0 }
#define CL_IS_IP_BROADCAST { P_IP_BCAST, N_ADDR }
#define CL_IS_IP_MULTICAST { P_IP_MCAST, N_ADDR | N_V6MC | N_V6 }
#define CL_IS_IP_HOST CL_NO_FORM
#define CL_IS_INCOMING_HOST CL_NO_FORM
#define CL_BLOOM CL_NO_FORM
#define CL_BLOOM_SRC CL_NO_FORM
#define CL_BLOOM_DST CL_NO_FORM
#define CL_NOT { P_NOT, 0 }
#define CL_DOT_AND { P_AND, 0 }
#define CL_DOT_OR { P_OR, 0 }
#define CL_DOT_XOR { P_XOR, 0 }
#define CL_AND { P_AND, 0 }
#define CL_OR { P_OR, 0 }
#define CL_XOR { P_XOR, 0 }
#define CL_DOT_LT { P_CMP, 0, CMP_LT }
#define CL_DOT_LE { P_CMP, 0, CMP_LE }
#define CL_DOT_GT { P_CMP, 0, CMP_GT }
#define CL_DOT_GE { P_CMP, 0, CMP_GE }
#define CL_DOT_EQ { P_CMP, 0, CMP_EQ }
#define CL_DOT_NE { P_CMP, 0, CMP_NE }
#define CL_LESS { P_CMP, 0, CMP_LT }
#define CL_LESS_EQ { P_CMP, 0, CMP_LE }
#define CL_GREATER { P_CMP, 0, CMP_GT }
#define CL_GREATER_EQ { P_CMP, 0, CMP_GE }
#define CL_EQUAL { P_CMP, 0, CMP_EQ }
#define CL_NOT_EQUAL { P_CMP, 0, CMP_NE }
#define CL_ANY_BIT { P_CMP, 0, CMP_ANY_BIT }
#define CL_ALL_BIT { P_CMP, 0, CMP_ALL_BIT }
#define CL_IS_ETH_PUP { P_ETH, N_TYPE }
#define CL_IS_ETH_SPRITE { P_ETH, N_TYPE }
#define CL_IS_ETH_IP { P_ETH, N_TYPE }
#define CL_IS_ETH_ARP { P_ETH, N_TYPE }
#define CL_IS_ETH_REVARP { P_ETH, N_TYPE }
#define CL_IS_ETH_AT { P_ETH, N_TYPE }
#define CL_IS_ETH_AARP { P_ETH, N_TYPE }
#define CL_IS_ETH_VLAN { P_ETH, N_TYPE }
#define CL_IS_ETH_IPX { P_ETH, N_TYPE }
#define CL_IS_ETH_IPV6 { P_ETH, N_TYPE }
#define CL_IS_ETH_LOOPBACK { P_ETH, N_TYPE }
#define CL_IP_TOS { R_IP4, N_IP | N_OFFS, 1, 1 }
#define CL_IP_TOT_LEN { R_IP4, N_IP | N_OFFS, 2, 2 }
#define CL_IP_ID { R_IP4, N_IP | N_OFFS, 4, 2 }
#define CL_IP_FRAG { R_IP4, N_IP | N_OFFS, 6, 2 }
#define CL_IP_TTL { R_IP4, N_IP | N_OFFS, 8, 1 }
#define CL_TCP_SOURCE { R_TCP, N_L4 | N_OFFS | N_V6, 0, 2 }
#define CL_TCP_DEST { R_TCP, N_L4 | N_OFFS | N_V6, 2, 2 }
#define CL_TCP_HDRLEN { R_TCP, N_L4 | N_OFFS | N_V6, 12, 0 }
#define CL_UDP_SOURCE { R_UDP, N_L4 | N_OFFS | N_V6, 0, 2 }
#define CL_UDP_DEST { R_UDP, N_L4 | N_OFFS | N_V6, 2, 2 }
#define CL_UDP_LEN { R_UDP, N_L4 | N_OFFS | N_V6, 4, 2 }
#define CL_ICMP_TYPE { R_ICMP, N_L4 | N_OFFS | N_V6, 0, 1 }
#define CL_ICMP_CODE { R_ICMP, N_L4 | N_OFFS | N_V6, 1, 1 }
#define CL_GET_MARK { R_MARK, 0 }
#define CL_GET_STATE { R_STATE, 0 }
#define CL_STEER_FLOW CL_ACTION
#define CL_STEER_IP CL_ACTION
#define CL_STEER_P2P CL_ACTION
#define CL_STEER_MAC CL_ACTION
#define CL_STEER_LINK CL_ACTION
#define CL_STEER_VLAN CL_ACTION
#define CL_STEER_RTP CL_ACTION
#define CL_STEER_VOIP CL_ACTION
#define CL_STEER_LOCAL_LINK CL_ACTION
#define CL_STEER_LOCAL_IP CL_ACTION
#define CL_STEER_LOCAL_NET CL_ACTION
#define CL_STEER_FIELD CL_ACTION
#define CL_STEER_FIELD_SYMMETRIC CL_ACTION
#define CL_DOUBLE_STEER_MAC CL_ACTION
#define CL_DOUBLE_STEER_IP CL_ACTION
#define CL_DOUBLE_STEER_FIELD CL_ACTION
#define CL_STEER_TO CL_ACTION
#define CL_STEER_RROBIN CL_ACTION
#define CL_STEER_RSS CL_ACTION
#define CL_STEER_GTP_USR CL_ACTION
