/**
 * The XO engine, the single entry point the Openfire adapter (and later the gateway) uses:
 * {@link org.xo.engine.XoEngine} wires addressing, codec, pacer, transport, deduplication and room state together;
 * remote events come out through {@link org.xo.engine.EngineListener}; {@link org.xo.engine.EngineStats} counts
 * everything for the status page. No Openfire or XMPP library is imported below this package's users.
 */
package org.xo.engine;
