# bench/endpoints.sh, sourced by bench/callgrind and bench/cpu: one httpd
# configuration (prefork) serving every endpoint they measure, and the host
# and path of each. The caller sets top, build, run and port, and defines log.
moddir=/usr/lib/apache2/modules

# endpoints_setup: the bench module built, a key, and $run/httpd.conf.
endpoints_setup() {
    rm -rf "$run"
    mkdir -p "$run/modules"
    chmod 755 "$run" "$run/modules"
    cp "$top/bench/mod_bench_hello.c" "$top/mod_ctx/ctx_b64.c" "$top/mod_ctx/ctx_b64.h" \
        "$run/modules/"
    (cd "$run/modules" && apxs -c mod_bench_hello.c -lcrypto -lsodium >build.log 2>&1) \
        || { cat "$run/modules/build.log" >&2; exit 1; }
    (umask 077; head -c 48 /dev/urandom | base64 -w0 > "$run/key")
    mkdir -p "$run/htdocs/static" "$run/htdocs/private"
    for d in static private; do printf 'hello, world\n' > "$run/htdocs/$d/f.txt"; done
    chmod -R a+rX "$run/htdocs"

    cat > "$run/httpd.conf" <<CONF
ServerRoot "$run"
ServerName cg.localhost
Listen 127.0.0.1:$port
PidFile $run/httpd.pid
DefaultRuntimeDir $run
ErrorLog $run/error.log
LogLevel warn
Mutex file:$run default
LoadModule mpm_prefork_module $moddir/mod_mpm_prefork.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule bench_hello_module $run/modules/.libs/mod_bench_hello.so
LoadModule socache_shmcb_module $moddir/mod_socache_shmcb.so
LoadModule ctx_module $build/.libs/mod_ctx.so
LoadModule ctx_example_module $build/.libs/mod_ctx_example.so
LoadModule authn_core_module $moddir/mod_authn_core.so
LoadModule authz_user_module $moddir/mod_authz_user.so
$( [ "$(id -u)" = 0 ] && printf 'User www-data\nGroup www-data\n' )
KeepAlive On
MaxKeepAliveRequests 0
CtxSecretKeyFile $run/key
CtxAppName bench
<VirtualHost 127.0.0.1:$port>
    ServerName cg.localhost
</VirtualHost>
<Location /hello>
    SetHandler bench-hello
</Location>
<Location /hello-cookie>
    SetHandler bench-hello-cookie
</Location>
<Location /home>
    SetHandler ctx-example
</Location>
$(for f in signed encrypted flask; do cat <<VH
<VirtualHost 127.0.0.1:$port>
    ServerName $f.cg
    <Location /counter>
        SetHandler ctx-example
        CtxSession On
        CtxSessionFormat $f
    </Location>
</VirtualHost>
VH
done)
<VirtualHost 127.0.0.1:$port>
    # the session floors: laid out as a format's /counter (a virtual host
    # with one Location), so that httpd's walks cost the same
    ServerName floor.cg
    <Location /session-floor>
        SetHandler bench-hello-cookie
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName login.cg
    DocumentRoot "$run/htdocs"
    CtxConfig LOGIN_USERS "bench:bench-password"
    <LocationMatch "^/(login|me|static/|private/)">
        CtxSession On
        CtxSessionFormat signed
    </LocationMatch>
    <LocationMatch "^/(login|me)$">
        SetHandler ctx-example
    </LocationMatch>
    <Location /private/>
        AuthType ctx
        Require valid-user
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName shmcb.cg
    CtxSessionStore socache:shmcb
    <Location /counter>
        SetHandler ctx-example
        CtxSession On
    </Location>
</VirtualHost>
CONF
}

# "HOST PATH" of an endpoint: one virtual host per session format.
target_of() {
    case $1 in
        bare) echo "cg.localhost /hello" ;;
        bare-cookie) echo "cg.localhost /hello-cookie" ;;
        hmac-floor) echo "cg.localhost /hello-cookie?floor=hmac" ;;
        hmac-ctx-floor) echo "cg.localhost /hello-cookie?floor=hmac-ctx" ;;
        aead-floor) echo "cg.localhost /hello-cookie?floor=aead" ;;
        hmac-wire) echo "cg.localhost /hello-cookie?floor=hmac-wire" ;;
        aead-wire) echo "cg.localhost /hello-cookie?floor=aead-wire" ;;
        aead-sodium-floor) echo "cg.localhost /hello-cookie?floor=aead-sodium" ;;
        aead-sodium-wire) echo "cg.localhost /hello-cookie?floor=aead-sodium-wire" ;;
        hmac-session) echo "floor.cg /session-floor?floor=hmac-session" ;;
        aead-sodium-session) echo "floor.cg /session-floor?floor=aead-sodium-session" ;;
        home) echo "cg.localhost /home?page=2" ;;
        signed|encrypted|flask|shmcb) echo "$1.cg /counter" ;;
        me) echo "login.cg /me" ;;
        static) echo "login.cg /static/f.txt" ;;
        authtype-static) echo "login.cg /private/f.txt" ;;
        *) log "unknown endpoint $1"; exit 2 ;;
    esac
}
