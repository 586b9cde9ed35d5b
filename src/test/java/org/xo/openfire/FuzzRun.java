package org.xo.openfire;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs Jazzer on one {@link ReceivePathFuzzTarget} target in a JVM of its own, with this JVM's class path.
 * <p>
 * Why Jazzer: it is on Maven Central, runs on Java 17, and is coverage-guided (libFuzzer's mutator, fed by the
 * coverage and comparison hooks its agent instruments), with its standalone driver in one JAR: it needs neither
 * JUnit 5 (jazzer-junit does, and this suite runs JUnit 4) nor a Maven plugin. A JVM of its own because libFuzzer
 * runs once per process and ends it, and so that its instrumentation stays out of the test JVM.
 * <p>
 * Corpus: {@code src/test/resources/fuzz/<target>/} (the seeds, read only) after {@code <work>/corpus/<target>/},
 * where libFuzzer keeps the inputs that found new coverage. A crash's input is written to
 * {@code <work>/crashes/<target>-crash-<sha1>}, with a Java reproducer beside it.
 */
public final class FuzzRun {
    /** The repository's seed corpus, relative to the project directory. */
    static final Path SEEDS = Path.of("src", "test", "resources", "fuzz");
    /** libFuzzer's per-input time limit: far above any input's few milliseconds. */
    private static final int INPUT_TIMEOUT_SECONDS = 10;

    /** What one run printed: its exit code and its RESULT figures (none when the JVM ended without them). */
    public record Result(String target, int exitCode, Map<String, Long> figures, Path log) {
        public long figure(String key) {
            Long value = figures.get(key);
            if (value == null) {
                throw new IllegalStateException("The " + target + " run printed no " + key + "; see " + log);
            }
            return value;
        }

        /** @return whether it ran to its end without a crash */
        public boolean clean() {
            return exitCode == 0 && figures.containsKey("crashes") && figure("crashes") == 0;
        }
    }

    private FuzzRun() {
    }

    /** @return the names of the targets, in the order to run them */
    public static List<String> targets() {
        List<String> ids = new ArrayList<>();
        for (ReceivePathFuzzTarget.Target t : ReceivePathFuzzTarget.Target.values()) {
            ids.add(t.id());
        }
        return ids;
    }

    /**
     * @param inputs      inputs to run at most, seeds included
     * @param maxSeconds  time to fuzz at most, after the seeds
     * @param work        where the grown corpus, the crashes and the log go
     * @param progress    whether libFuzzer's progress lines go to this process's stderr, else only to the log
     */
    public static Result run(String target, long inputs, int maxSeconds, Path work, boolean progress)
            throws IOException, InterruptedException {
        Path corpus = Files.createDirectories(work.resolve("corpus").resolve(target));
        Path crashes = Files.createDirectories(work.resolve("crashes"));
        Path log = work.resolve(target + ".log");
        Path out = work.resolve(target + ".out");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + ReceivePathFuzzTarget.class.getName(),
                "--target_args=" + target,
                // Coverage of XO and of the XML and XMPP code it hands the text to; the rest is not ours to steer.
                "--instrumentation_includes=org.xo.**:org.dom4j.**:org.xmlpull.**:org.xmpp.**",
                "--reproducer_path=" + crashes,
                // Go on after a crash, so that a run counts them all (distinct ones, at most this many).
                "--keep_going=100",
                "-seed=1",
                "-runs=" + inputs,
                "-max_total_time=" + maxSeconds,
                "-timeout=" + INPUT_TIMEOUT_SECONDS,
                "-artifact_prefix=" + crashes + File.separator + target + "-",
                corpus.toString(),
                SEEDS.resolve(target).toString());
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile());
        if (progress) {
            builder.redirectError(ProcessBuilder.Redirect.INHERIT);
        } else {
            builder.redirectError(log.toFile());
        }
        int exitCode = builder.start().waitFor();
        Map<String, Long> figures = new LinkedHashMap<>();
        for (String line : Files.readAllLines(out)) {
            if (line.startsWith("RESULT ")) {
                for (String pair : line.substring("RESULT ".length()).split(" ")) {
                    String[] kv = pair.split("=", 2);
                    if (!kv[0].equals("target")) {
                        figures.put(kv[0], Long.parseLong(kv[1]));
                    }
                }
            }
        }
        return new Result(target, exitCode, figures, progress ? out : log);
    }
}
