"""ECB list of Monetary Financial Institutions (daily full list)."""
