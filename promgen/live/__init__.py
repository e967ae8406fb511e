"""`promgen check --prometheus`: the stack's PromQL against a live Prometheus.

`client` asks the server's HTTP API; `plan` lists what a stack asks (selectors, alert rules,
recorded series, SLO windows, rule groups); `series`, `backtest`, `slo_status` and `cost` ask it and
judge the answers; `report` lays the findings out as a table or JSON.
"""
