/**
 * IPNS (ipfs/specs src/ipns/ipns-record.md): names ({@link io.ipnslink.core.ipns.IpnsName}),
 * records ({@link io.ipnslink.core.ipns.IpnsRecord}: parse and create), verification against a
 * name ({@link io.ipnslink.core.ipns.IpnsValidator}) and choosing the better of two records
 * ({@link io.ipnslink.core.ipns.IpnsRecords}). Generated protobuf in the {@code pb} sub-package.
 * See docs/ipns.md.
 */
package io.ipnslink.core.ipns;
