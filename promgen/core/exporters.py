"""The metrics promgen knows without a declaration: those of the exporters a stack runs, Prometheus'
own series, and the standard metrics of the client libraries.

`validate` reads an alert, SLI or panel against these: a name from here needs no entry in
`metrics`, but it does need a job that scrapes its exporter. The tables hold the metrics teams
alert on (node exporter 1.9, cAdvisor, postgres_exporter 0.19, redis_exporter 1.x, kube-state-metrics
2.x, blackbox exporter 0.28); a name an exporter's prefix claims that is not here is a warning, not an error (declare it
in `metrics` to say it exists).
"""

from __future__ import annotations

from dataclasses import dataclass

MetricType = str  # counter, gauge, histogram, summary, info


@dataclass(frozen=True)
class Known:
    """A metric promgen knows: its type and the labels its series carry (besides job and instance)."""

    type: MetricType
    labels: frozenset[str]


@dataclass(frozen=True)
class Exporter:
    name: str  # as `scrape.targets[].exporter` and `stack.exporters` name it
    title: str
    prefixes: tuple[str, ...]  # metric name prefixes that belong to it
    metrics: dict[str, Known]


def _table(kind_labels: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, Known]:
    return {name: Known(kind, frozenset(labels)) for name, (kind, labels) in kind_labels.items()}


_FS = ("device", "fstype", "mountpoint")
_DISK = ("device",)
_NET = ("device",)
_C = ("container", "id", "image", "name", "namespace", "pod")
_POD = ("namespace", "pod", "uid")

EXPORTERS: dict[str, Exporter] = {e.name: e for e in (
    Exporter("node", "the node exporter", ("node_",), _table({
        "node_cpu_seconds_total": ("counter", ("cpu", "mode")),
        "node_load1": ("gauge", ()), "node_load5": ("gauge", ()), "node_load15": ("gauge", ()),
        "node_memory_MemTotal_bytes": ("gauge", ()), "node_memory_MemAvailable_bytes": ("gauge", ()),
        "node_memory_MemFree_bytes": ("gauge", ()), "node_memory_Cached_bytes": ("gauge", ()),
        "node_memory_Buffers_bytes": ("gauge", ()), "node_memory_SwapTotal_bytes": ("gauge", ()),
        "node_memory_SwapFree_bytes": ("gauge", ()),
        "node_filesystem_avail_bytes": ("gauge", _FS), "node_filesystem_free_bytes": ("gauge", _FS),
        "node_filesystem_size_bytes": ("gauge", _FS), "node_filesystem_files": ("gauge", _FS),
        "node_filesystem_files_free": ("gauge", _FS), "node_filesystem_readonly": ("gauge", _FS),
        "node_filesystem_device_error": ("gauge", _FS),
        "node_disk_reads_completed_total": ("counter", _DISK), "node_disk_writes_completed_total": ("counter", _DISK),
        "node_disk_read_bytes_total": ("counter", _DISK), "node_disk_written_bytes_total": ("counter", _DISK),
        "node_disk_read_time_seconds_total": ("counter", _DISK), "node_disk_write_time_seconds_total": ("counter", _DISK),
        "node_disk_io_time_seconds_total": ("counter", _DISK), "node_disk_io_now": ("gauge", _DISK),
        "node_network_receive_bytes_total": ("counter", _NET), "node_network_transmit_bytes_total": ("counter", _NET),
        "node_network_receive_packets_total": ("counter", _NET), "node_network_transmit_packets_total": ("counter", _NET),
        "node_network_receive_errs_total": ("counter", _NET), "node_network_transmit_errs_total": ("counter", _NET),
        "node_network_receive_drop_total": ("counter", _NET), "node_network_transmit_drop_total": ("counter", _NET),
        "node_network_up": ("gauge", _NET),
        "node_boot_time_seconds": ("gauge", ()), "node_time_seconds": ("gauge", ()),
        "node_context_switches_total": ("counter", ()), "node_intr_total": ("counter", ()),
        "node_procs_running": ("gauge", ()), "node_procs_blocked": ("gauge", ()),
        "node_vmstat_pgmajfault": ("counter", ()), "node_vmstat_oom_kill": ("counter", ()),
        "node_timex_offset_seconds": ("gauge", ()), "node_timex_sync_status": ("gauge", ()),
        "node_entropy_available_bits": ("gauge", ()), "node_nf_conntrack_entries": ("gauge", ()),
        "node_nf_conntrack_entries_limit": ("gauge", ()), "node_hwmon_temp_celsius": ("gauge", ("chip", "sensor")),
        "node_textfile_scrape_error": ("gauge", ()), "node_systemd_unit_state": ("gauge", ("name", "state", "type")),
        "node_uname_info": ("gauge", ("domainname", "machine", "nodename", "release", "sysname", "version")),
        "node_exporter_build_info": ("gauge", ("branch", "goversion", "revision", "tags", "version")),
    })),
    Exporter("cadvisor", "cAdvisor (the kubelet's /metrics/cadvisor)", ("container_", "machine_"), _table({
        "container_cpu_usage_seconds_total": ("counter", (*_C, "cpu")),
        "container_cpu_cfs_periods_total": ("counter", _C), "container_cpu_cfs_throttled_periods_total": ("counter", _C),
        "container_cpu_cfs_throttled_seconds_total": ("counter", _C),
        "container_memory_usage_bytes": ("gauge", _C), "container_memory_working_set_bytes": ("gauge", _C),
        "container_memory_rss": ("gauge", _C), "container_memory_cache": ("gauge", _C),
        "container_memory_swap": ("gauge", _C), "container_memory_failcnt": ("counter", _C),
        "container_spec_memory_limit_bytes": ("gauge", _C), "container_spec_cpu_quota": ("gauge", _C),
        "container_spec_cpu_period": ("gauge", _C), "container_spec_cpu_shares": ("gauge", _C),
        "container_network_receive_bytes_total": ("counter", (*_C, "interface")),
        "container_network_transmit_bytes_total": ("counter", (*_C, "interface")),
        "container_network_receive_packets_dropped_total": ("counter", (*_C, "interface")),
        "container_network_transmit_packets_dropped_total": ("counter", (*_C, "interface")),
        "container_network_receive_errors_total": ("counter", (*_C, "interface")),
        "container_network_transmit_errors_total": ("counter", (*_C, "interface")),
        "container_fs_usage_bytes": ("gauge", (*_C, "device")), "container_fs_limit_bytes": ("gauge", (*_C, "device")),
        "container_fs_reads_bytes_total": ("counter", (*_C, "device")),
        "container_fs_writes_bytes_total": ("counter", (*_C, "device")),
        "container_oom_events_total": ("counter", _C), "container_last_seen": ("gauge", _C),
        "container_start_time_seconds": ("gauge", _C), "container_processes": ("gauge", _C),
        "container_threads": ("gauge", _C), "container_file_descriptors": ("gauge", _C),
        "machine_cpu_cores": ("gauge", ()), "machine_memory_bytes": ("gauge", ()),
    })),
    Exporter("postgres", "the postgres exporter", ("pg_",), _table({
        "pg_up": ("gauge", ()), "pg_exporter_last_scrape_error": ("gauge", ()),
        "pg_postmaster_start_time_seconds": ("gauge", ()), "pg_static": ("gauge", ("short_version", "version")),
        "pg_settings_max_connections": ("gauge", ()),
        "pg_stat_activity_count": ("gauge", ("datname", "state", "usename", "application_name", "backend_type")),
        "pg_stat_activity_max_tx_duration": ("gauge", ("datname", "state", "usename", "application_name")),
        "pg_stat_database_numbackends": ("gauge", ("datid", "datname")),
        "pg_stat_database_xact_commit": ("counter", ("datid", "datname")),
        "pg_stat_database_xact_rollback": ("counter", ("datid", "datname")),
        "pg_stat_database_deadlocks": ("counter", ("datid", "datname")),
        "pg_stat_database_conflicts": ("counter", ("datid", "datname")),
        "pg_stat_database_blks_read": ("counter", ("datid", "datname")),
        "pg_stat_database_blks_hit": ("counter", ("datid", "datname")),
        "pg_stat_database_temp_bytes": ("counter", ("datid", "datname")),
        "pg_stat_database_tup_fetched": ("counter", ("datid", "datname")),
        "pg_stat_database_tup_inserted": ("counter", ("datid", "datname")),
        "pg_stat_database_tup_updated": ("counter", ("datid", "datname")),
        "pg_stat_database_tup_deleted": ("counter", ("datid", "datname")),
        "pg_database_size_bytes": ("gauge", ("datname",)), "pg_locks_count": ("gauge", ("datname", "mode")),
        "pg_replication_lag_seconds": ("gauge", ()), "pg_replication_is_replica": ("gauge", ()),
        "pg_stat_replication_pg_wal_lsn_diff": ("gauge", ("application_name", "client_addr", "state")),
        "pg_stat_bgwriter_checkpoints_timed_total": ("counter", ()),
        "pg_stat_bgwriter_checkpoints_req_total": ("counter", ()),
    })),
    Exporter("redis", "the redis exporter", ("redis_",), _table({
        "redis_up": ("gauge", ()), "redis_uptime_in_seconds": ("gauge", ()),
        "redis_instance_info": ("gauge", ("redis_version", "role", "redis_mode", "os")),
        "redis_connected_clients": ("gauge", ()), "redis_blocked_clients": ("gauge", ()),
        "redis_config_maxclients": ("gauge", ()), "redis_rejected_connections_total": ("counter", ()),
        "redis_memory_used_bytes": ("gauge", ()), "redis_memory_max_bytes": ("gauge", ()),
        "redis_mem_fragmentation_ratio": ("gauge", ()),
        "redis_commands_processed_total": ("counter", ()), "redis_commands_total": ("counter", ("cmd",)),
        "redis_commands_duration_seconds_total": ("counter", ("cmd",)),
        "redis_keyspace_hits_total": ("counter", ()), "redis_keyspace_misses_total": ("counter", ()),
        "redis_evicted_keys_total": ("counter", ()), "redis_expired_keys_total": ("counter", ()),
        "redis_db_keys": ("gauge", ("db",)), "redis_db_keys_expiring": ("gauge", ("db",)),
        "redis_connected_slaves": ("gauge", ()), "redis_master_link_up": ("gauge", ()),
        "redis_rdb_last_bgsave_status": ("gauge", ()), "redis_rdb_changes_since_last_save": ("gauge", ()),
        "redis_net_input_bytes_total": ("counter", ()), "redis_net_output_bytes_total": ("counter", ()),
        "redis_cpu_sys_seconds_total": ("counter", ()), "redis_cpu_user_seconds_total": ("counter", ()),
    })),
    Exporter("kube-state-metrics", "kube-state-metrics", ("kube_",), _table({
        "kube_pod_container_status_restarts_total": ("counter", (*_POD, "container")),
        "kube_pod_container_status_ready": ("gauge", (*_POD, "container")),
        "kube_pod_container_status_waiting_reason": ("gauge", (*_POD, "container", "reason")),
        "kube_pod_status_phase": ("gauge", (*_POD, "phase")),
        "kube_pod_status_ready": ("gauge", (*_POD, "condition")),
        "kube_pod_info": ("gauge", (*_POD, "node", "host_ip", "pod_ip", "created_by_kind", "created_by_name")),
        "kube_node_info": ("gauge", ("node", "kernel_version", "os_image", "container_runtime_version",
                                      "kubelet_version", "kubeproxy_version", "provider_id", "pod_cidr",
                                      "internal_ip", "system_uuid")),
        "kube_node_status_condition": ("gauge", ("node", "condition", "status")),
        "kube_node_spec_unschedulable": ("gauge", ("node",)),
        "kube_deployment_spec_replicas": ("gauge", ("namespace", "deployment")),
        "kube_deployment_status_replicas_available": ("gauge", ("namespace", "deployment")),
        "kube_deployment_status_replicas_unavailable": ("gauge", ("namespace", "deployment")),
    })),
    Exporter("blackbox", "the blackbox exporter", ("probe_",), _table({
        "probe_success": ("gauge", ()), "probe_duration_seconds": ("gauge", ()),
        "probe_http_status_code": ("gauge", ()), "probe_http_duration_seconds": ("gauge", ("phase",)),
        "probe_http_content_length": ("gauge", ()), "probe_http_redirects": ("gauge", ()),
        "probe_http_ssl": ("gauge", ()), "probe_http_version": ("gauge", ()),
        "probe_http_last_modified_timestamp_seconds": ("gauge", ()),
        "probe_ssl_earliest_cert_expiry": ("gauge", ()), "probe_ssl_last_chain_expiry_timestamp_seconds": ("gauge", ()),
        "probe_tls_version_info": ("gauge", ("version",)), "probe_dns_lookup_time_seconds": ("gauge", ()),
        "probe_ip_protocol": ("gauge", ()), "probe_ip_addr_hash": ("gauge", ()),
        "probe_failed_due_to_regex": ("gauge", ()), "probe_icmp_duration_seconds": ("gauge", ("phase",)),
    })),
)}

# Series every Prometheus writes itself: one set per scrape target, and the alerts' state.
PROMETHEUS: dict[str, Known] = _table({
    "up": ("gauge", ()), "scrape_duration_seconds": ("gauge", ()), "scrape_samples_scraped": ("gauge", ()),
    "scrape_samples_post_metric_relabeling": ("gauge", ()), "scrape_series_added": ("gauge", ()),
})
ALERT_SERIES: dict[str, Known] = _table({
    "ALERTS": ("gauge", ("alertname", "alertstate", "severity")),
    "ALERTS_FOR_STATE": ("gauge", ("alertname", "severity")),
})

# What the Prometheus client libraries export from every process they instrument.
CLIENT_LIBRARIES: dict[str, Known] = _table({
    "process_cpu_seconds_total": ("counter", ()), "process_resident_memory_bytes": ("gauge", ()),
    "process_virtual_memory_bytes": ("gauge", ()), "process_virtual_memory_max_bytes": ("gauge", ()),
    "process_open_fds": ("gauge", ()), "process_max_fds": ("gauge", ()), "process_start_time_seconds": ("gauge", ()),
    "go_goroutines": ("gauge", ()), "go_threads": ("gauge", ()), "go_memstats_alloc_bytes": ("gauge", ()),
    "go_memstats_heap_inuse_bytes": ("gauge", ()), "go_gc_duration_seconds": ("summary", ()),
    "go_info": ("gauge", ("version",)),
    "python_info": ("gauge", ("implementation", "major", "minor", "patchlevel", "version")),
    "python_gc_objects_collected_total": ("counter", ("generation",)),
    "python_gc_collections_total": ("counter", ("generation",)),
})


def exporter_of(name: str) -> Exporter | None:
    """The exporter whose metric `name` is, by its table or its prefix."""
    for exporter in EXPORTERS.values():
        if name in exporter.metrics:
            return exporter
    for exporter in EXPORTERS.values():
        if name.startswith(exporter.prefixes):
            return exporter
    return None
