package org.xo.node;

/**
 * A configuration problem the operator must fix. Its message is one complete sentence that the launcher prints
 * on stderr, without a stack trace, before exiting with status 2.
 */
final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    ConfigException(String sentence) {
        super(sentence);
    }
}
