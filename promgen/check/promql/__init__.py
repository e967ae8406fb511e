"""What the spec's PromQL means: the series every expression may read and where they come from
(`catalogue`), what an expression does with them (`meaning`: comparisons, rate of a gauge, vector
matching, impossible selectors, ...), the checks that run it over every alert, SLI and panel
(`queries`), and the metrics no job of the stack scrapes (`scraped`)."""
