package io.ipnslink.filter.proxy;

import io.ipnslink.core.ipns.IpnsName;
import io.ipnslink.core.manifest.Manifest;

/** TEMPORARY STUB of the contract; replaced by GATEWAY-PROXY's class from main. */
public record ProxyTarget(IpnsName name, Manifest manifest, String pathAndQuery, String publicBasePath,
        String publicScheme, String publicHost, String clientAddress, String requestId) {}
