// The CRD judge: validates Prometheus Operator objects (ServiceMonitor, PrometheusRule, Probe,
// AlertmanagerConfig, ...) with @kubernetes-models/prometheus-operator, the schemas generated from
// the operator's Go API types.
// Usage: node validate.mjs FILE...   (YAML, several documents per file allowed)
// Prints one line per invalid object, exits 1 when any object is invalid or of an unknown kind.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { monitoringCoreosCom } from "@kubernetes-models/prometheus-operator";

const models = new Map();
for (const [version, kinds] of Object.entries(monitoringCoreosCom)) {
  for (const [kind, model] of Object.entries(kinds)) {
    if (typeof model === "function" && model.apiVersion === `monitoring.coreos.com/${version}`) {
      models.set(`${model.apiVersion}/${kind}`, model);
    }
  }
}

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.log(`${file}: YAML error: ${doc.errors[0].message}`);
      failures++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const where = `${file}: ${obj.kind}/${obj.metadata?.name}`;
    const Model = models.get(`${obj.apiVersion}/${obj.kind}`);
    if (!Model) {
      console.log(`${where}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      failures++;
      continue;
    }
    try {
      new Model(obj).validate();
      checked++;
    } catch (error) {
      console.log(`${where}: ${error.message}`);
      failures++;
    }
  }
}
console.log(`${checked} valid, ${failures} invalid`);
process.exit(failures > 0 ? 1 : 0);
