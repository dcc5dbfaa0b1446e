/**
 * Multiformats (github.com/multiformats): {@link io.ipnslink.core.multiformats.Varint unsigned
 * varint}, {@link io.ipnslink.core.multiformats.Multibase multibase},
 * {@link io.ipnslink.core.multiformats.Multihash multihash}, {@link io.ipnslink.core.multiformats.Cid
 * CID} and {@link io.ipnslink.core.multiformats.Multiaddr multiaddr}. Immutable values; every
 * decoder has a size limit as a named constant and reports bad input with a
 * {@link io.ipnslink.core.multiformats.MultiformatException} whose message says what is wrong.
 */
package io.ipnslink.core.multiformats;
