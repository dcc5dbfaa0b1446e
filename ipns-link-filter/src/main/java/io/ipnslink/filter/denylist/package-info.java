/**
 * Denylists in the compact format of IPIP-383 ({@code .deny} files and URLs): the parser
 * ({@link io.ipnslink.filter.denylist.DenylistParser}, with limits), the immutable index of one
 * list ({@link io.ipnslink.filter.denylist.Denylist}), and the set of configured lists the gateway
 * checks before resolving a site, reloaded in the background
 * ({@link io.ipnslink.filter.denylist.Denylists}, a {@link io.ipnslink.filter.pipeline.SiteGate}
 * answering 451). See docs/denylist.md.
 */
package io.ipnslink.filter.denylist;
