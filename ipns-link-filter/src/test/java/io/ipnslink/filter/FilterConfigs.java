package io.ipnslink.filter;

import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;

/** A FilterConfig over maps, with a ServletContext that answers only init parameters and attributes. */
final class FilterConfigs {
    private FilterConfigs() {}

    static FilterConfig of(Map<String, String> initParams, Map<String, String> contextParams) {
        ServletContext ctx = (ServletContext) Proxy.newProxyInstance(FilterConfigs.class.getClassLoader(),
                new Class<?>[] {ServletContext.class}, (p, m, args) -> switch (m.getName()) {
                    case "getInitParameter" -> contextParams.get((String) args[0]);
                    case "getAttribute" -> null;
                    case "setAttribute", "removeAttribute" -> null; // the filter publishes its status there
                    case "getContextPath" -> "";
                    case "log" -> null;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        return new FilterConfig() {
            @Override
            public String getFilterName() {
                return "ipnslink";
            }

            @Override
            public ServletContext getServletContext() {
                return ctx;
            }

            @Override
            public String getInitParameter(String name) {
                return initParams.get(name);
            }

            @Override
            public Enumeration<String> getInitParameterNames() {
                return Collections.enumeration(initParams.keySet());
            }
        };
    }
}
