package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

/** Option parsing of {@code bin/xo-bench manet}. */
public class ManetBenchTest {
    @Test
    public void seedsAreARangeOrAList() {
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), ManetBench.seeds("1-5"));
        assertEquals(List.of(1L, 3L, 7L), ManetBench.seeds("1,3,7"));
        assertEquals(List.of(4L), ManetBench.seeds("4"));
    }

    @Test
    public void badSeedsAreRefusedInOneSentence() {
        for (String bad : List.of("", "a", "5-1", "1,1", "-3", "0-200")) {
            IllegalArgumentException e = assertThrows(bad, IllegalArgumentException.class,
                    () -> ManetBench.seeds(bad));
            assertTrue(e.getMessage(), e.getMessage().startsWith("--seeds takes"));
        }
    }
}
