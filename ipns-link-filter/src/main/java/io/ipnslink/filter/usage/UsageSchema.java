package io.ipnslink.filter.usage;

import io.ipnslink.routing.store.SchemaMigrations;

/**
 * The two tables quotas and usage live in, as the {@link SchemaMigrations} component
 * {@value #COMPONENT}: {@code ipnslink_quotas} (written by the admin API, read by the quota gate)
 * and {@code ipnslink_usage} (written by the usage meter, read by the quota gate's monthly volumes
 * and the admin API). One definition for both readers and writers; whichever part starts first
 * applies it, and gateways starting at once on one database are serialized by the migrations.
 */
public final class UsageSchema {
    /** Component name in {@link SchemaMigrations#TABLE}. */
    public static final String COMPONENT = "usage";

    private UsageSchema() {}

    /** Version 1: both tables and the index on the hour. Add steps at the end; never change one. */
    public static SchemaMigrations migrations() {
        return SchemaMigrations.of(COMPONENT)
                .step(1, UsageTables.QUOTAS_DDL, UsageTables.USAGE_DDL, UsageTables.USAGE_HOUR_INDEX);
    }
}
