/**
 * A small "company intranet" web application in plain Jakarta Servlet 6 (no framework): a home
 * page, a greeting form, a JSON clock and a style sheet. It stands for any existing web app: the
 * IPNS-Link gateway is added to it in {@code WEB-INF/web.xml} only ({@code IpnsLinkFilter} on
 * {@code /*}); none of these classes know about it.
 */
package io.ipnslink.samples.webapp;
