/** ipns-link-filter: grows in its own issue. */
package io.ipnslink.filter;
