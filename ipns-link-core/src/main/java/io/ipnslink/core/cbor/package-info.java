/**
 * DAG-CBOR (ipld.io/specs/codecs/dag-cbor), the subset IPNS record data and the IPNS-Link manifest
 * need: {@link io.ipnslink.core.cbor.CborValue} values, a canonical
 * {@link io.ipnslink.core.cbor.CborEncoder} and a strict, bounded
 * {@link io.ipnslink.core.cbor.CborDecoder}.
 */
package io.ipnslink.core.cbor;
