// The type a promgen dashboard must have: Grafana's own dashboard model from @grafana/schema (the
// types Grafana's front end compiles against), with each panel's `options` and `fieldConfig` typed
// by its panel plugin's generated types. tests/test_grafana_types.py writes every dashboard into
// dashboards.ts as an object literal of this type and runs `tsc --noEmit`: a misspelt or unknown
// field is an excess-property error, a wrong type an assignability error.
import type { Dashboard, DataQuery, Panel, RowPanel } from '@grafana/schema';
import type * as bargauge from '@grafana/schema/dist/esm/raw/composable/bargauge/panelcfg/x/BarGaugePanelCfg_types.gen';
import type * as gauge from '@grafana/schema/dist/esm/raw/composable/gauge/panelcfg/x/GaugePanelCfg_types.gen';
import type * as heatmap from '@grafana/schema/dist/esm/raw/composable/heatmap/panelcfg/x/HeatmapPanelCfg_types.gen';
import type * as stat from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type * as table from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type * as text from '@grafana/schema/dist/esm/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen';
import type * as timeseries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';

// JSON has strings where the schema has string enums (ThresholdsMode.Absolute is "absolute"): each
// enum becomes the union of its values; everything else, optional markers included, stays.
type Json<T> = T extends string ? `${T}`
  : T extends number | boolean | null | undefined ? T
  : T extends Array<infer U> ? Array<Json<U>>
  : T extends object ? { [K in keyof T]: Json<T[K]> }
  : T;

// A Prometheus query, with the fields Grafana's Prometheus data source declares for its queries
// (its dataquery schema; the plugin's package cannot be installed without the whole front end).
interface PrometheusQuery extends DataQuery {
  expr: string;
  legendFormat?: string;
  format?: 'time_series' | 'table' | 'heatmap';
  instant?: boolean;
  range?: boolean;
  exemplar?: boolean;
  intervalFactor?: number;
  interval?: string;
  editorMode?: 'builder' | 'code';
}

// The schema's Panel types `options` as any record (its first type parameter is unused): each panel
// type's own Options are applied here.
type Typed<Kind extends string, Options, FieldConfig> =
  Omit<Json<Panel<Options, FieldConfig>>, 'targets' | 'type' | 'options'>
  & { type: Kind; options?: Json<Options>; targets?: Array<Json<PrometheusQuery>> };

type AnyPanel =
  | Typed<'timeseries', timeseries.Options, timeseries.FieldConfig>
  | Typed<'stat', stat.Options, Record<string, never>>
  | Typed<'gauge', gauge.Options, Record<string, never>>
  | Typed<'bargauge', bargauge.Options, Record<string, never>>
  | Typed<'table', table.Options, table.FieldConfig>
  | Typed<'heatmap', heatmap.Options, heatmap.FieldConfig>
  | Typed<'text', text.Options, Record<string, never>>;

type Row = Omit<Json<RowPanel>, 'panels' | 'type'> & { type: 'row'; panels: AnyPanel[] };

// Grafana's AnnotationQuery with the Prometheus data source's query as its target, and the fields
// the Prometheus plugin reads from the annotation itself when it turns results into events.
type Annotation = Omit<Json<NonNullable<NonNullable<Dashboard['annotations']>['list']>[number]>, 'target'> & {
  target?: Json<PrometheusQuery>;
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
};

export type PromgenDashboard = Omit<Json<Dashboard>, 'panels' | 'annotations'> & {
  panels?: Array<AnyPanel | Row>;
  annotations?: { list?: Annotation[] };
};
