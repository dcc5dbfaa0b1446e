/** ipns-link-war: grows in its own issue. */
package io.ipnslink.war;
