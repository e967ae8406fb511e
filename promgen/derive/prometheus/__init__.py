"""prometheus.yml, the rule files and the SLO rules as plain data: scrape jobs, alert rules, SLO
recording and burn-rate rules (with their chained windows), the labels an expression keeps, and
the rule groups other rule engines read (Mimir, VictoriaMetrics)."""
