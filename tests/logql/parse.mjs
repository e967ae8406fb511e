// The LogQL judge: parses expressions with @grafana/lezer-logql, the grammar Grafana's Loki query
// editor uses. Reads a JSON array of expressions on stdin; prints a JSON array with, for each, null
// when it parses as a LogQL metric query (what a Loki alert rule needs), else why not.
import { readFileSync } from "node:fs";
import { parser } from "@grafana/lezer-logql";

function verdict(expr) {
  const tree = parser.parse(expr);
  let error = null;
  tree.iterate({
    enter(node) {
      if (error === null && node.type.isError) {
        error = `does not parse at offset ${node.from}: ${JSON.stringify(expr.slice(node.from, node.from + 20))}`;
      }
    },
  });
  if (error !== null) return error;
  const top = tree.topNode.firstChild;
  if (top?.name !== "Expr" || top.firstChild?.name !== "MetricExpr") {
    return `is a ${top?.firstChild?.name ?? "nothing"}, not a metric query`;
  }
  return null;
}

const expressions = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(expressions.map(verdict)) + "\n");
