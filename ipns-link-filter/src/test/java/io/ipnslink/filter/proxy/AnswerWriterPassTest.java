package io.ipnslink.filter.proxy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The container's end-of-request callback waits for a drain pass that may still write, and not for
 * one that said it is done with the container (the pass that completes the request).
 */
class AnswerWriterPassTest {

    private static void setPassing(AnswerWriter w, Thread t) throws Exception {
        Field f = AnswerWriter.class.getDeclaredField("passing");
        f.setAccessible(true);
        f.set(w, t);
    }

    /** Runs awaitPassOver on another thread while "the pass" (this thread) blocks; true if it returned meanwhile. */
    private static boolean awaitReturnsDuringThePass(AnswerWriter w) throws Exception {
        CountDownLatch returned = new CountDownLatch(1);
        Thread container = new Thread(() -> {
            w.awaitPassOver();
            returned.countDown();
        });
        container.start();
        // the bound is half the writer's own wait: a waiting callback cannot come back within it
        boolean early = returned.await(AnswerWriter.PASS_WAIT_NANOS / 2, TimeUnit.NANOSECONDS);
        container.join();
        return early;
    }

    @Test
    void theCallbackWaitsForAPassThatMayStillWrite() throws Exception {
        AnswerWriter w = new AnswerWriter(null, null);
        setPassing(w, Thread.currentThread());
        assertFalse(awaitReturnsDuringThePass(w), "returned while the pass could still write");
    }

    @Test
    void aPassThatCompletedTheRequestIsNotWaitedFor() throws Exception {
        AnswerWriter w = new AnswerWriter(null, null);
        setPassing(w, Thread.currentThread());
        w.passOver();
        assertTrue(awaitReturnsDuringThePass(w), "the callback waited for a pass done with the container");
    }

    @Test
    void onlyThePassingThreadCanSayItIsOver() throws Exception {
        AnswerWriter w = new AnswerWriter(null, null);
        Thread other = new Thread(() -> { });
        setPassing(w, other);
        w.passOver(); // not the passing thread: no effect
        Field f = AnswerWriter.class.getDeclaredField("passing");
        f.setAccessible(true);
        assertTrue(f.get(w) == other);
    }
}
