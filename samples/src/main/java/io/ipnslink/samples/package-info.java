/** samples: grows in its own issue. */
package io.ipnslink.samples;
