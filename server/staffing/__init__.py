"""staffing domain: 去向牌 (staff presence) and AB岗 (the A and B post of each window)."""
