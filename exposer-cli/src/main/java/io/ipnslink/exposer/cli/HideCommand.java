package io.ipnslink.exposer.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ipns-link hide SITE}: publish an offline manifest. */
@Command(name = "hide", mixinStandardHelpOptions = true,
        description = {"Publish an offline manifest: gateways answer with the onfail target at once.",
                "A running expose also stops serving the site (publish SITE serves it again)."})
final class HideCommand extends Base implements java.util.concurrent.Callable<Integer> {
    @Parameters(paramLabel = "SITE")
    String site;
    @Option(names = "--publish-to", paramLabel = "ROUTER_URL", description = "routers (default: those of the last expose)")
    List<String> publishTo = new ArrayList<>();

    @Override
    public Integer call() {
        return PublishCommand.run(this, site, publishTo, true);
    }
}
