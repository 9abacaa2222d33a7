"""The help desk (综合咨询服务台, 焦作 第二十九条, 第五十一条): tickets issued for citizens,
re-queued no-shows, reprints, cancellations, re-issues, lookups and 办事指南."""
