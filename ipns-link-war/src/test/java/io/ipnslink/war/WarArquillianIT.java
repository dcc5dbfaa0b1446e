package io.ipnslink.war;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URL;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The built WAR file ({@code target/ipns-link-gateway.war}) deployed by Arquillian into embedded
 * Tomcat 10.1 (arquillian-tomcat-embedded-10, configured in {@code arquillian.xml}) and tested from
 * outside ({@code testable = false}): the landing page, and a request through the gateway to a site
 * exposed in this JVM ({@link ExposedSite}) and back. The WAR is deployed as it is; the gateway's one
 * setting, {@code ipnslink.allow-private-addresses=true} (the exposer listens on loopback), is a
 * system property of this test's JVM (failsafe execution {@code arquillian}).
 */
@ExtendWith(ArquillianExtension.class)
class WarArquillianIT {
    /** Tomcat's INFO lines off (held here: JUL keeps loggers only weakly, with their levels). */
    static final java.util.logging.Logger TOMCAT_LOG = DeployedGateway.quietTomcat();

    static ExposedSite site;

    @ArquillianResource
    URL base;

    DeployedGateway gateway;

    @Deployment(testable = false)
    static WebArchive gatewayWar() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, WarDeploymentIT.builtWar().toFile());
    }

    @BeforeAll
    static void exposeSite() throws Exception {
        site = ExposedSite.start();
    }

    @AfterAll
    static void stopSite() throws Exception {
        if (site != null) {
            site.close();
        }
    }

    @BeforeEach
    void gateway() throws Exception {
        gateway = new DeployedGateway(base.toURI());
    }

    @Test
    void theWarIsDeployedAtItsFileNameOnTheConfiguredLoopbackPort() {
        assertEquals("http", base.getProtocol());
        assertEquals("127.0.0.1", base.getHost());
        assertEquals(Integer.getInteger("arquillian.tomcat.port"), base.getPort(), "arquillian.xml bindHttpPort");
        assertEquals("/ipns-link-gateway", gateway.contextPath(), base.toString());
    }

    @Test
    void theLandingPageShowsTheFormAndLeadsToTheName() throws Exception {
        gateway.checkLandingPage(site);
    }

    @Test
    void aSiteIsServedThroughTheGatewayAndBack() throws Exception {
        gateway.checkSiteIsServed(site);
    }
}
