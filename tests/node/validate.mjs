// The CRD judge: validates Prometheus Operator objects (ServiceMonitor, PrometheusRule, Probe,
// AlertmanagerConfig, ...) with @kubernetes-models/prometheus-operator, the schemas generated from
// the operator's Go API types.
// Usage: node validate.mjs FILE...   (YAML, several documents per file allowed)
// Prints one line per invalid object, exits 1 when any object is invalid or of an unknown kind.
// An AlertmanagerConfig's child routes are free-form JSON in the CRD schema (the operator parses them
// as Routes when it reconciles), so each child route is also validated as a v1alpha1 Route here.
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

const { Route } = monitoringCoreosCom.v1alpha1;

function childRoutes(route, path) {
  const found = [];
  (route?.routes ?? []).forEach((child, index) => {
    const here = `${path}.routes[${index}]`;
    found.push([here, child], ...childRoutes(child, here));
  });
  return found;
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
      if (obj.kind === "AlertmanagerConfig") {
        for (const [path, child] of childRoutes(obj.spec?.route, "spec.route")) {
          try {
            new Route(child).validate();
          } catch (error) {
            throw new Error(`${path}: ${error.message}`);
          }
        }
      }
      checked++;
    } catch (error) {
      console.log(`${where}: ${error.message}`);
      failures++;
    }
  }
}
console.log(`${checked} valid, ${failures} invalid`);
process.exit(failures > 0 ? 1 : 0);
