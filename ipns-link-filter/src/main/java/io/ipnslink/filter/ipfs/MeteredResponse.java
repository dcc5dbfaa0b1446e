package io.ipnslink.filter.ipfs;

import io.ipnslink.filter.pipeline.RequestMeter;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;

/** A response whose body bytes are added to the request's meter ({@code bytesOut}: usage, metrics). */
final class MeteredResponse extends HttpServletResponseWrapper {
    private final RequestMeter meter;
    private ServletOutputStream out;

    MeteredResponse(HttpServletResponse response, RequestMeter meter) {
        super(response);
        this.meter = meter;
    }

    @Override
    public synchronized ServletOutputStream getOutputStream() throws IOException {
        if (out == null) {
            ServletOutputStream d = super.getOutputStream();
            out = new ServletOutputStream() {
                @Override
                public void write(int b) throws IOException {
                    d.write(b);
                    meter.addBytesOut(1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    d.write(b, off, len);
                    meter.addBytesOut(len);
                }

                @Override
                public void flush() throws IOException {
                    d.flush();
                }

                @Override
                public void close() throws IOException {
                    d.close();
                }

                @Override
                public boolean isReady() {
                    return d.isReady();
                }

                @Override
                public void setWriteListener(WriteListener listener) {
                    d.setWriteListener(listener);
                }
            };
        }
        return out;
    }
}
