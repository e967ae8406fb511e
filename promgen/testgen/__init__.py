"""The promtool unit-test engine: for each generated alert, input series that make it fire and
resolve, found by evaluating the rules with a PromQL evaluator of its own (Go's arithmetic, Go's
number formatting), and laid out in test files that load only the rule files they need. It reads
the model and the derived rule groups; it writes nothing."""
