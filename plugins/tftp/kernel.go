package tftp

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lavacore/lavacore/sdk"
	"github.com/lavacore/lavacore/sdk/bootflow"
	"github.com/lavacore/lavacore/sdk/ramdisk"
)

// prepareKernel is LAVA's prepare-kernel: on a U-Boot device, its child
// uboot-prepare-kernel maps the kernel type to a boot command and converts
// the kernel when U-Boot cannot boot it as it is.
func prepareKernel(req sdk.Request) sdk.ActionSpec {
	s := sdk.ActionSpec{Name: "prepare-kernel", Class: "PrepareKernelAction",
		Description: "populates the pipeline with a kernel conversion action", Summary: "add a kernel conversion"}
	if _, ok := req.Device.Methods["boot/u-boot"]; ok {
		s.Children = []sdk.ActionSpec{{Name: "uboot-prepare-kernel", Class: "UBootPrepareKernelAction",
			Description: "convert kernel to uimage", Summary: "prepare/convert kernel"}}
	}
	return s
}

// kernelType is the deploy block's kernel.type, lower case ("" = none).
func kernelType(p map[string]any) string {
	k, _ := p["kernel"].(map[string]any)
	return strings.ToLower(bootflow.Str(k, "type"))
}

// deployParams is the device's actions.deploy.parameters.
func deployParams(d sdk.Device) (map[string]any, bool) {
	m, ok := d.SectionParameters["deploy"]
	return m, ok
}

// validateKernel checks a kernel type against the device as LAVA's
// uboot-prepare-kernel does (only on U-Boot devices with deploy parameters).
func validateKernel(req sdk.Request) sdk.Diagnostics {
	kt := kernelType(req.Block.Params)
	if kt == "" {
		return nil
	}
	if _, ok := req.Device.Methods["boot/u-boot"]; !ok {
		return nil
	}
	dp, ok := deployParams(req.Device)
	if !ok {
		return nil
	}
	var diags sdk.Diagnostics
	add := func(msg string) { diags = append(diags, sdk.Diagnostic{Path: "kernel.type", Summary: msg}) }
	if req.Device.Parameters == nil {
		add("Kernel boot type is not supported by this device.")
	}
	bc, _ := bootflow.KernelBootCommand(kt, req.Device.Parameters)
	if _, ok := req.Device.Parameters[bc]; !ok {
		add(fmt.Sprintf("Requested kernel boot type '%s' is not supported by this device.", bc))
	}
	switch kt {
	case "bootm", "bootz", "booti":
		add("booti, bootm and bootz are deprecated, please use 'image', 'uimage' or 'zimage'")
	}
	if _, ok := dp["mkimage_arch"]; !ok {
		add("Missing architecture for uboot mkimage support (mkimage_arch in u-boot parameters)")
	}
	return diags
}

// validateHeader checks the device's add_header as LAVA's compress-ramdisk does.
func validateHeader(req sdk.Request) sdk.Diagnostics {
	if _, ok := req.Block.Params["ramdisk"]; !ok {
		return nil
	}
	dp, _ := deployParams(req.Device)
	switch bootflow.Str(dp, "add_header") {
	case "", "raw":
	case "u-boot":
		if _, ok := dp["mkimage_arch"]; !ok {
			return sdk.Diagnostics{{Path: "ramdisk", Summary: "Missing architecture for uboot mkimage support (mkimage_arch in deploy parameters)"}}
		}
	default:
		return sdk.Diagnostics{{Path: "ramdisk", Summary: "ramdisk: add_header: unknown header type"}}
	}
	return nil
}

// parseAddr reads a load address (0x82000000, or decimal).
func parseAddr(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 32)
	if err != nil {
		return 0, sdk.ConfigErrorf("load address %q: not a 32-bit hexadecimal address", s)
	}
	return uint32(v), nil
}

// ubootPrepareKernel records the boot command of the kernel type; with the
// device's append_dtb it appends the dtb to the kernel (kernel-dtb), and for a
// kernel U-Boot boots with bootm it writes a uImage (mkimage's legacy header
// in front, LAVA's mkimage -T kernel -C none -a load -e entry).
func ubootPrepareKernel(ctx context.Context, call sdk.Call, host sdk.Host) error {
	kt := kernelType(call.Block.Params)
	if kt == "" {
		return nil
	}
	bc, warn := bootflow.KernelBootCommand(kt, call.Device.Parameters)
	if warn != "" {
		if err := host.Log(sdk.LevelWarning, warn); err != nil {
			return err
		}
	}
	if err := bootflow.SetString(host, bootflow.KeyBootCommand, bc); err != nil {
		return err
	}
	dp, _ := deployParams(call.Device)
	rd := bootflow.Reader{H: host}
	kernel, rel := rd.String(fileKey("kernel")), rd.String(relKey("kernel"))
	dtb := rd.String(fileKey("dtb"))
	if rd.Err != nil {
		return rd.Err
	}
	if kernel == "" {
		return sdk.JobErrorf("uboot-prepare-kernel: no kernel was downloaded")
	}
	if v, _ := dp["append_dtb"].(bool); v {
		if dtb == "" {
			return sdk.JobErrorf("uboot-prepare-kernel: append_dtb needs a dtb")
		}
		out := filepath.Join(filepath.Dir(kernel), "kernel-dtb")
		if err := concat(out, kernel, dtb); err != nil {
			return sdk.InfraErrorf("DTB appending failed: %v", err)
		}
		if err := host.Log(sdk.LevelInfo, fmt.Sprintf("Appending %s to %s", dtb, kernel)); err != nil {
			return err
		}
		kernel, rel = out, filepath.Join(filepath.Dir(rel), "kernel-dtb")
		if err := bootflow.SetString(host, fileKey("kernel"), kernel); err != nil {
			return err
		}
		if err := bootflow.SetString(host, bootflow.KeyPreparedKernel, rel); err != nil {
			return err
		}
	}
	if bc != "bootm" || kt == "uimage" {
		return nil
	}
	if err := host.Log(sdk.LevelInfo, "Converting downloaded kernel to a uImage"); err != nil {
		return err
	}
	addrs, _ := call.Device.Parameters[bc].(map[string]any)
	load := bootflow.Str(addrs, "kernel")
	if v := bootflow.Str(call.Device.Parameters, "text_offset"); v != "" {
		load = v
	}
	la, err := parseAddr(load)
	if err != nil {
		return err
	}
	entry := la
	if xip, _ := dp["use_xip"].(bool); xip {
		entry += 64
	}
	out := filepath.Join(filepath.Dir(kernel), "uImage")
	if err := ramdisk.WrapUBoot(kernel, out, ramdisk.WrapOptions{Arch: bootflow.Str(dp, "mkimage_arch"),
		Type: ramdisk.UBootTypeKernel, Load: la, Entry: entry}); err != nil {
		return sdk.InfraErrorf("uImage creation failed: %v", err)
	}
	return bootflow.SetString(host, bootflow.KeyPreparedKernel, filepath.Join(filepath.Dir(rel), "uImage"))
}

// concat writes a then b to out.
func concat(out, a, b string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	for _, in := range []string{a, b} {
		r, err := os.Open(in)
		if err != nil {
			f.Close()
			return err
		}
		_, err = io.Copy(f, r)
		r.Close()
		if err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
