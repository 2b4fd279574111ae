{#- Schemas are exactly staging / intermediate / marts (not dbt's <target>_<custom> default),
    so every target has the same layout that the library and the docs name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
