package io.ipnslink.filter.tenants;

import java.time.Instant;

/**
 * A customer of the hosting operator: sites are attached to it, quotas may be set on it.
 *
 * @param id short identifier chosen by the operator ({@code [a-z0-9][a-z0-9_-]*}, at most 64)
 * @param name display name (at most 200 characters)
 * @param created when it was created
 */
public record Tenant(String id, String name, Instant created) {}
