package io.ipnslink.filter;

import io.ipnslink.filter.config.ConfigException;
import io.ipnslink.filter.config.ConfigKey;
import io.ipnslink.filter.config.GatewayConfig;
import io.ipnslink.filter.config.RecordStores;
import io.ipnslink.filter.pipeline.DomainMap;
import io.ipnslink.filter.resolve.TxtLookup;
import io.ipnslink.filter.tenants.TenantAdmin;
import io.ipnslink.filter.tenants.TenantDirectory;
import io.ipnslink.filter.tenants.TenantSettings;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Joins the tenants part to a gateway being built: its tables in the record store's database, the
 * {@code sites=registered} gate, the custom domains as the gateway's {@link DomainMap}.
 */
final class TenantPart {
    private static final Logger LOG = LoggerFactory.getLogger(TenantPart.class);

    private TenantPart() {}

    static TenantAdmin start(GatewayConfig config, RecordStores.Opened store, Clock clock, TxtLookup txt,
            Gateway.Parts parts) {
        TenantSettings settings = TenantSettings.from(config.values());
        DataSource ds = store.dataSource().orElseThrow(() -> new ConfigException(ConfigKey.STORE,
                "configuration key 'store': the tenants part needs a JDBC record store"));
        TenantAdmin admin;
        try {
            admin = TenantAdmin.start(settings, ds, clock, txt, config.dnsTimeout(), parts.events,
                    Set.copyOf(config.gatewayHosts()));
        } catch (SQLException e) {
            throw new ConfigException(ConfigKey.STORE, "configuration key 'store': cannot create the tables of"
                    + " tenants, sites and domains: " + e.getMessage(), e);
        }
        TenantDirectory directory = admin.directory();
        DomainMap before = parts.domains;
        parts.domains = before == DomainMap.NONE ? directory
                : host -> directory.siteFor(host).or(() -> before.siteFor(host));
        if (settings.sites() == TenantSettings.Sites.REGISTERED) {
            parts.gates.add(directory.registeredOnly());
        }
        LOG.info("tenants: sites={}, {} registered sites, {} verified custom domains, admin API {}",
                settings.sites().name().toLowerCase(java.util.Locale.ROOT), directory.sites(),
                directory.verifiedDomains(), settings.adminEnabled()
                        ? settings.admin().name().toLowerCase(java.util.Locale.ROOT) : "off");
        return admin;
    }
}
