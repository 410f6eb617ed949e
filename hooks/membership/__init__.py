"""Pool membership in Pinot: which tags a pool's instances carry, and the Jobs that tag, rebalance,
drain and drop them, planned from observed state only (DESIGN "Pinot-side operations")."""
