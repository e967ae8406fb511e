"""Grafana dashboards as plain data: each service's overview, SLO and custom dashboards and the
fleet's, their panels, thresholds and grid layout. Reads the model and the SLO rules' series names."""
