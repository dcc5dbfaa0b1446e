/**
 * IPFS data: blocks and their verification ({@link io.ipnslink.core.ipfs.Block}), where blocks are
 * kept ({@link io.ipnslink.core.ipfs.BlockStore}), the dag-pb codec ({@link io.ipnslink.core.ipfs.DagPb};
 * UnixFS node data is {@code unixfs.proto}, class {@code io.ipnslink.core.ipfs.pb.UnixfsProtos}) and
 * CAR v1 archives ({@link io.ipnslink.core.ipfs.Car}).
 */
package io.ipnslink.core.ipfs;
