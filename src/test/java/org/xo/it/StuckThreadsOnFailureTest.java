package org.xo.it;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

public class StuckThreadsOnFailureTest {
    private static final String DUMP = String.join("\n",
            "2026-12-02 07:16:31",
            "Full thread dump OpenJDK 64-Bit Server VM:",
            "",
            "\"socket_c2s-thread-3\" #41 prio=5 os_prio=0 tid=0x1 nid=0x2 waiting on condition",
            "   java.lang.Thread.State: TIMED_WAITING (parking)",
            "\tat jdk.internal.misc.Unsafe.park(Native Method)",
            "\t- parking to wait for  <0x01> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)",
            "\tat org.xo.engine.XoEngine.lockStream(XoEngine.java:440)",
            "\tat org.xo.openfire.OccupantMirror.interceptPacket(OccupantMirror.java:86)",
            "",
            "\"xo-inject\" #42 prio=5 os_prio=0 tid=0x1 nid=0x3 waiting on condition",
            "   java.lang.Thread.State: WAITING (parking)",
            "\tat jdk.internal.misc.Unsafe.park(Native Method)",
            "\tat java.util.concurrent.LinkedBlockingQueue.take(LinkedBlockingQueue.java:435)",
            "\tat org.xo.openfire.Injector.run(Injector.java:100)",
            "",
            "\"Reference Handler\" #2 daemon prio=10 os_prio=0 tid=0x1 nid=0x4 runnable",
            "   java.lang.Thread.State: RUNNABLE",
            "\tat java.lang.ref.Reference.waitForReferencePendingList(Native Method)",
            "");

    @Test
    public void keepsTheThreadsWaitingInXoCodeAndLeavesIdleAndUnrelatedOnesOut() {
        List<String> threads = StuckThreadsOnFailure.interesting(DUMP);
        assertEquals(1, threads.size());
        assertTrue(threads.get(0), threads.get(0).startsWith("\"socket_c2s-thread-3\""));
        assertTrue(threads.get(0), threads.get(0).contains("at org.xo.engine.XoEngine.lockStream"));
        assertTrue(threads.get(0), threads.get(0).contains("TIMED_WAITING"));
    }
}
