package io.ipnslink.exposer.cli;

import io.ipnslink.exposer.Home;
import java.io.PrintWriter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Access to the global options from any sub-command. */
abstract class Base {
    @Spec
    CommandSpec spec;

    Root root() {
        return (Root) spec.root().userObject();
    }

    Home home() {
        return root().home();
    }

    boolean json() {
        return root().json;
    }

    PrintWriter out() {
        return root().env.out();
    }

    PrintWriter err() {
        return root().env.err();
    }
}
