/**
 * The gateway's own pages, as servlets to map next to {@code IpnsLinkFilter}: the landing page
 * ({@link io.ipnslink.filter.web.LandingServlet}) and the status page
 * ({@link io.ipnslink.filter.web.StatusServlet}). They read the running filter through the servlet
 * context attributes {@code IpnsLinkFilter.CONFIG_ATTRIBUTE} and {@code STATUS_ATTRIBUTE}.
 */
package io.ipnslink.filter.web;
