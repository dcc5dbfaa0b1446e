/** Name resolution and publishing: delegated routing v1 client and server, the record store. */
package io.ipnslink.routing;
