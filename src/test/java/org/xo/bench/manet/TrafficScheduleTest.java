package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.Test;

public class TrafficScheduleTest {
    private static final int NODES = 11;

    @Test
    public void declarationIsTheWholeTextOneSentencePerLine() {
        List<String> sentences = TrafficSchedule.declaration();
        // the full Declaration split at sentence ends (each grievance its own line) is 45 sentences
        assertEquals(45, sentences.size());
        assertTrue(sentences.get(0).startsWith("When in the Course of human events"));
        assertTrue(sentences.get(sentences.size() - 1).endsWith("our Fortunes and our sacred Honor."));
        long grievances = sentences.stream()
                .filter(s -> s.startsWith("He has") || s.startsWith("He is") || s.startsWith("For "))
                .count();
        assertEquals(27, grievances);
        for (String s : sentences) {
            assertFalse("blank sentence", s.isBlank());
            assertFalse("comment kept: " + s, s.startsWith("#"));
            assertTrue("too long: " + s, s.length() <= 1000);
        }
    }

    @Test
    public void sameSeedSameScheduleDifferentSeedDifferent() {
        TrafficSchedule a = TrafficSchedule.generate(NODES, 300, TrafficSchedule.PAPER_RATE, 42);
        TrafficSchedule b = TrafficSchedule.generate(NODES, 300, TrafficSchedule.PAPER_RATE, 42);
        TrafficSchedule c = TrafficSchedule.generate(NODES, 300, TrafficSchedule.PAPER_RATE, 43);
        assertEquals(a.sends(), b.sends());
        assertNotEquals(a.sends(), c.sends());
    }

    @Test
    public void followsTheDocumentedRule() {
        long seed = 7;
        double duration = 300;
        double rate = TrafficSchedule.PAPER_RATE;
        TrafficSchedule schedule = TrafficSchedule.generate(NODES, duration, rate, seed);
        List<String> sentences = TrafficSchedule.declaration();
        SplittableRandom root = new SplittableRandom(seed ^ 0x545246L);
        for (int node = 0; node < NODES; node++) {
            SplittableRandom rng = root.split();
            List<TrafficSchedule.Send> own = schedule.sendsOf(node);
            double at = 0;
            for (int j = 0; j < own.size(); j++) {
                at += -Math.log(1 - rng.nextDouble()) / rate;
                TrafficSchedule.Send send = own.get(j);
                assertEquals(node, send.sender());
                assertEquals(at, send.at(), 0);
                assertEquals(sentences.get((node * 7 + j) % sentences.size()), send.body());
            }
            double next = at - Math.log(1 - rng.nextDouble()) / rate;
            assertTrue("node " + node + " stopped early", next >= duration);
        }
    }

    @Test
    public void sortedByTimeThenSenderAndNumberedDensely() {
        TrafficSchedule schedule = TrafficSchedule.generate(NODES, 1000, TrafficSchedule.PAPER_RATE, 1);
        List<TrafficSchedule.Send> sends = schedule.sends();
        assertEquals(sends.size(), schedule.size());
        for (int i = 0; i < sends.size(); i++) {
            assertEquals(i, sends.get(i).message());
            if (i > 0) {
                TrafficSchedule.Send prev = sends.get(i - 1);
                TrafficSchedule.Send cur = sends.get(i);
                assertTrue("order at " + i, prev.at() < cur.at()
                        || prev.at() == cur.at() && prev.sender() <= cur.sender());
            }
        }
        int perNode = 0;
        for (int node = 0; node < NODES; node++) {
            List<TrafficSchedule.Send> own = schedule.sendsOf(node);
            for (int j = 1; j < own.size(); j++) {
                assertTrue(own.get(j - 1).at() <= own.get(j).at());
            }
            perNode += own.size();
        }
        assertEquals(sends.size(), perNode);
    }

    @Test
    public void countsAndGapsMatchTheRate() {
        double duration = 50_000;
        double rate = TrafficSchedule.PAPER_RATE;
        TrafficSchedule schedule = TrafficSchedule.generate(NODES, duration, rate, 3);
        double expected = rate * duration;
        double gapSum = 0;
        for (int node = 0; node < NODES; node++) {
            List<TrafficSchedule.Send> own = schedule.sendsOf(node);
            // Poisson count: 5 % of 10000 is 5 standard deviations
            assertEquals("node " + node, expected, own.size(), 0.05 * expected);
            // the gaps from t = 0 to the last send add up to the last send's time
            gapSum += own.get(own.size() - 1).at();
        }
        double meanGap = gapSum / schedule.size();
        // standard error of the mean gap is 5 / sqrt(110000), about 0.015 s
        assertEquals(1 / rate, meanGap, 0.1);
        for (TrafficSchedule.Send s : schedule.sends()) {
            assertTrue("at " + s.at(), s.at() >= 0 && s.at() < duration);
        }
    }

    @Test
    public void badArgumentsThrow() {
        assertThrows(IllegalArgumentException.class, () -> TrafficSchedule.generate(0, 300, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> TrafficSchedule.generate(NODES, 0, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> TrafficSchedule.generate(NODES, -1, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> TrafficSchedule.generate(NODES, Double.NaN, 0.2, 1));
        assertThrows(IllegalArgumentException.class,
                () -> TrafficSchedule.generate(NODES, Double.POSITIVE_INFINITY, 0.2, 1));
        assertThrows(IllegalArgumentException.class, () -> TrafficSchedule.generate(NODES, 300, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> TrafficSchedule.generate(NODES, 300, Double.NaN, 1));
        TrafficSchedule schedule = TrafficSchedule.generate(NODES, 300, 0.2, 1);
        assertThrows(IllegalArgumentException.class, () -> schedule.sendsOf(-1));
        assertThrows(IllegalArgumentException.class, () -> schedule.sendsOf(NODES));
    }
}
