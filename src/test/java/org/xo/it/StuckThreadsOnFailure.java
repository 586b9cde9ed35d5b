package org.xo.it;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import org.junit.AssumptionViolatedException;
import org.junit.rules.TestRule;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * When a test fails (a client waited in vain, say), adds to its failure what the nodes' server threads were doing in
 * XO's or the MUC service's code, and the last lines of their logs: CI shows only the failure messages, and the nodes'
 * homes are gone after the test.
 */
public final class StuckThreadsOnFailure implements TestRule {
    private static final int FRAMES_PER_THREAD = 12;
    private static final int LOG_LINES = 25;
    /** Frames of a thread that waits for work, not on another thread: left out of the report. */
    private static final List<String> IDLE = List.of("BlockingQueue.take", "BlockingQueue.poll", "EPoll.wait",
            "TimerThread.mainLoop", "DelayedWorkQueue.take", "DatagramChannelImpl.receive", "SocketDispatcher.read");

    private final Supplier<List<NodeProcess>> nodes;

    public StuckThreadsOnFailure(Supplier<List<NodeProcess>> nodes) {
        this.nodes = nodes;
    }

    @Override
    public Statement apply(Statement base, Description description) {
        return new Statement() {
            @Override
            public void evaluate() throws Throwable {
                try {
                    base.evaluate();
                } catch (AssumptionViolatedException skipped) {
                    throw skipped;
                } catch (Throwable failure) {
                    AssertionError withThreads = new AssertionError(failure.getMessage() + "\n" + report(), failure);
                    withThreads.setStackTrace(failure.getStackTrace());
                    throw withThreads;
                }
            }
        };
    }

    private String report() {
        StringBuilder out = new StringBuilder();
        for (NodeProcess node : nodes.get()) {
            if (node == null || !node.isAlive()) {
                continue;
            }
            out.append("--- threads in XO or MUC code on ").append(node.domain()).append('\n');
            try {
                for (String thread : interesting(ThreadDumps.of(node.serverPid()))) {
                    out.append(thread).append('\n');
                }
            } catch (Exception e) {
                out.append("(no thread dump: ").append(e).append(")\n");
            }
            List<String> lines = node.log().lines().toList();
            out.append("--- last lines of ").append(node.domain()).append("'s log\n");
            lines.subList(Math.max(0, lines.size() - LOG_LINES), lines.size())
                    .forEach(line -> out.append(line).append('\n'));
        }
        return out.toString();
    }

    /**
     * The threads whose stack passes through org.xo or Openfire's muc package and that do not wait idle for work, cut
     * to their top frames.
     */
    static List<String> interesting(String dump) {
        List<String> threads = new ArrayList<>();
        for (String thread : dump.split("\n\n")) {
            if (!thread.startsWith("\"") || !(thread.contains("at org.xo.") || thread.contains(".openfire.muc."))) {
                continue;
            }
            String[] lines = thread.split("\n");
            String top = String.join("\n", List.of(lines).subList(0, Math.min(lines.length, 5)));
            if (IDLE.stream().anyMatch(top::contains)) {
                continue;
            }
            StringBuilder cut = new StringBuilder(lines[0]);
            int frames = 0;
            for (int i = 1; i < lines.length && frames < FRAMES_PER_THREAD; i++) {
                String line = lines[i].trim();
                if (line.startsWith("at ") || line.startsWith("- ")) {
                    cut.append("\n    ").append(line);
                    frames += line.startsWith("at ") ? 1 : 0;
                } else if (line.startsWith("java.lang.Thread.State")) {
                    cut.append("\n    ").append(line);
                }
            }
            threads.add(cut.toString());
        }
        return threads;
    }
}
