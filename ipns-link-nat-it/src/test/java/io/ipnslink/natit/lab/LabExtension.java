package io.ipnslink.natit.lab;

import java.util.Optional;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;

/**
 * One {@link Lab} per test class: {@code @RegisterExtension static final LabExtension LAB = new LabExtension();}
 * then {@code LAB.lab()} in {@code @BeforeAll} to build the topology and start processes. When a
 * test or a {@code @BeforeAll} fails, the tail of every process's log is printed; after all tests
 * the lab is closed (processes killed, namespaces deleted), whatever happened.
 */
public final class LabExtension implements BeforeAllCallback, AfterAllCallback, AfterTestExecutionCallback,
        LifecycleMethodExecutionExceptionHandler {
    private static final int TAIL_LINES = 60;
    private Lab lab;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        lab = Lab.create(context.getRequiredTestClass().getSimpleName());
    }

    /** The class's lab (made before its {@code @BeforeAll} methods run). */
    public Lab lab() {
        if (lab == null) {
            throw new IllegalStateException("the lab is made in beforeAll: register the extension as a static field");
        }
        return lab;
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        Optional<Throwable> failure = context.getExecutionException();
        failure.ifPresent(t -> printLogs(context.getDisplayName()));
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        printLogs("@BeforeAll of " + context.getDisplayName());
        throw throwable;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (lab != null) {
            lab.close();
        }
    }

    private void printLogs(String what) {
        if (lab == null) {
            return;
        }
        StringBuilder b = new StringBuilder("\n===== " + what + " failed; logs of the lab's processes (full logs in "
                + lab.dir() + ") =====\n");
        for (LabProcess p : lab.processes()) {
            b.append(p.tail(TAIL_LINES)).append('\n');
        }
        System.err.println(b);
    }
}
