package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class LossTest {

    @Test
    public void formula() {
        assertEquals(0.0080, Loss.probability(1e-5, 100), 1e-4);
        assertEquals(1 - Math.pow(1 - 1e-5, 800), Loss.probability(1e-5, 100), 1e-12);
        assertEquals(1 - Math.pow(1 - 1e-5, 8 * 1500), Loss.probability(1e-5, 1500), 1e-12);
        assertEquals(0.0, Loss.probability(1e-5, 0), 0);
        assertEquals(0.0, Loss.probability(0, 1500), 0);
        assertEquals(1.0, Loss.probability(1, 1), 0);
        assertEquals(0.5, Loss.probability(0.5, 0) + 0.5, 0);
        assertEquals(1 - Math.pow(0.5, 8), Loss.probability(0.5, 1), 1e-15);
        assertEquals(Scenario.BER, Scenario.ber().bitErrorProbability(), 0);
        assertEquals(0.0, Scenario.high().bitErrorProbability(), 0);
    }

    @Test
    public void seededDecisionsRepeat() {
        Loss a = new Loss(1e-3, 7);
        Loss b = new Loss(1e-3, 7);
        Loss c = new Loss(1e-3, 8);
        boolean differs = false;
        for (int i = 0; i < 2000; i++) {
            int bytes = 50 + (i % 200);
            boolean la = a.lost(bytes);
            assertEquals(la, b.lost(bytes));
            differs |= la != c.lost(bytes);
        }
        assertTrue(differs);
    }

    @Test
    public void lossRateMatchesProbability() {
        Loss loss = new Loss(1e-5, 3);
        int n = 200_000;
        int lost = 0;
        for (int i = 0; i < n; i++) {
            if (loss.lost(100)) {
                lost++;
            }
        }
        double p = Loss.probability(1e-5, 100);
        double sigma = Math.sqrt(p * (1 - p) / n);
        assertEquals(p, lost / (double) n, 5 * sigma);
        Loss none = new Loss(Scenario.high());
        for (int i = 0; i < 1000; i++) {
            assertFalse(none.lost(1500));
        }
    }
}
