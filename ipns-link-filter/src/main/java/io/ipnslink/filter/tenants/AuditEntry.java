package io.ipnslink.filter.tenants;

import java.time.Instant;

/**
 * One admin action in the audit log.
 *
 * @param id increasing number
 * @param at when
 * @param actor who: {@code token:{8 hex digits of its SHA-256}} or {@code cert:{subject}}
 * @param client the client's address
 * @param action what ({@code tenant.create}, {@code site.attach}, ...)
 * @param subject what it was done to (a tenant id, a site name, a domain)
 * @param detail more (a name, quota values), or null
 */
public record AuditEntry(long id, Instant at, String actor, String client, String action, String subject,
        String detail) {}
