"""Alertmanager's configuration as plain data (`config`): the route tree `promgen routes` also
walks (`routes`), matchers as Alertmanager parses them (`matchers`), and receivers (`receivers`)."""
