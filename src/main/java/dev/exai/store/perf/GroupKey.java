package dev.exai.store.perf;

/** What samples are grouped by: tenant, tool, model, provider and the hash of the parameters. */
record GroupKey(String tenant, String tool, String model, String provider, String paramsHash) {
}
